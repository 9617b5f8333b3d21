from ui import layout

layout.header("s2_exploding.py", "Under construction in this session.")
layout.footer("s2_exploding.py")
