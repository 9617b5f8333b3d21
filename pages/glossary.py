from ui import layout

layout.header("glossary.py", "Under construction in this session.")
layout.footer("glossary.py")
