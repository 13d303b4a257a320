"""Business logic of the Hub. Nothing under services/ imports streamlit."""
