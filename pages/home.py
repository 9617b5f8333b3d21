from ui import layout

layout.header("home.py", "Under construction in this session.")
layout.footer("home.py")
