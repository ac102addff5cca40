"""Builders: validated GeoDataFrames in, folium layers / static figures out. Never import streamlit."""
