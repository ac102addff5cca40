"""Streamlit glue: text, caching, state, shared page setup. The only package that imports streamlit."""
