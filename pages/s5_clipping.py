from ui import layout

layout.header("s5_clipping.py", "Under construction in this session.")
layout.footer("s5_clipping.py")
