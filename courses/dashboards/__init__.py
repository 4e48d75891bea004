"""Dashboards: database queries -> frozen rows (ids and values, never ORM objects) -> Plotly
figure dicts. One module per page: :mod:`.learner`, :mod:`.cohort` (the class heatmap and who
needs help), :mod:`.items` (skills and exercises of a class), :mod:`.model_versions` (the admin's
model dashboard); the figure builders live in :mod:`.figures`."""
