"""Where state changes: views and tasks call these functions; models stay thin.

``check_*`` functions validate and raise :class:`ServiceError` subclasses with messages meant for
the person who caused them; ``record_*``/``import_*``/``add_*`` functions change state inside one
transaction.
"""
