"""mbcore: the core of the multi-branch networks teaching dashboard.

Settings (plain data) -> Graph -> Keras model; seeded tasks; a trainer that
runs in worker processes; summaries and diagrams. No Streamlit here except
in mbcore.ui, the one module of widgets the pages share.
"""
