"""Background work as jobs (issue 16): procrastinate on PostgreSQL, an in-process runner on SQLite.

``registry`` names each job (queue, locks, schedule); ``tasks`` holds what they run (ids in, rows as the truth);
``dispatch.defer`` queues one (procrastinate on PostgreSQL, the embedded runner on SQLite); ``queue`` is the
procrastinate wiring (apps, schema, worker); ``embedded`` the in-process runner; ``status`` the health figures.
"""
