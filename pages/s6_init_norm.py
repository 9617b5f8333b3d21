from ui import layout

layout.header("s6_init_norm.py", "Under construction in this session.")
layout.footer("s6_init_norm.py")
