"""Authors' texts (prompts, hints, worked solutions, options, skill descriptions) as sanitised
HTML: Markdown with maths, tables, highlighted code and the course's images
(:mod:`.markdown`), through an allow-list (:mod:`.sanitise`), kept per course and content
version (:mod:`.texts`, which templates reach through the ``rich`` filters of
:mod:`courses.templatetags.content`). Uploaded images are checked by :mod:`.images`."""
