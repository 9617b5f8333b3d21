from ui import layout

layout.header("s7_conclusion.py", "Under construction in this session.")
layout.footer("s7_conclusion.py")
