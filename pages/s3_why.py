from ui import layout

layout.header("s3_why.py", "Under construction in this session.")
layout.footer("s3_why.py")
