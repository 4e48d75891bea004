"""Question banks teachers already have: Moodle XML and GIFT read into plain questions
(:mod:`.questions`), mapped onto a course's skills and checked as exercises
(:mod:`courses.actions.bank_import`), and a course's exercises written back as Moodle XML
(:mod:`.moodle_export`). The parsers take text and return data: they never touch the database
and never raise on bad input — every problem is reported with where it is."""
