from ui import layout

layout.header("lab1_clipping.py", "Under construction in this session.")
layout.footer("lab1_clipping.py")
