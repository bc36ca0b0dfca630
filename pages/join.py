"""Join a class room with its code and answer the lecturer's question (mbcore/ui/classroom.py)."""
from mbcore.ui.classroom import join_page

join_page()
