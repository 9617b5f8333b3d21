from ui import layout

layout.header("lab2_compare.py", "Under construction in this session.")
layout.footer("lab2_compare.py")
