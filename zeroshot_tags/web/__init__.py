"""The web app: FastAPI app, public URL fetching, photo slots and the static page."""
