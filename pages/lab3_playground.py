from ui import layout

layout.header("lab3_playground.py", "Under construction in this session.")
layout.footer("lab3_playground.py")
