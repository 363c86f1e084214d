from . import collection_pause
