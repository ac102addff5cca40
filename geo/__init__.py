"""Pure data layer: schema, codes, read, validate, aggregate, simplify. Never imports streamlit."""
