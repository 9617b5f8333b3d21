from ui import layout

layout.header("s4_effects.py", "Under construction in this session.")
layout.footer("s4_effects.py")
