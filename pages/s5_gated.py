from ui import layout

layout.header("s5_gated.py", "Under construction in this session.")
layout.footer("s5_gated.py")
