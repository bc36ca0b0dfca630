"""What pages show, without Streamlit: Plotly figures, tables, curves, links (the URL
codec), downloads and the exported script. Testable without a server."""
