"""HTTP routes served beside the Streamlit app (st.App(routes=...)): entry points above geo/."""
