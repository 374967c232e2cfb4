"""Alembic environment: migrates the connection the store hands over, or a URL.

`store.db.migrate` passes its open connection through `config.attributes`, so
migrations run on start-up without a second engine; the `alembic` command line
works too, with `-x url=...`.
"""

from alembic import context
from sqlalchemy import create_engine, pool

from store.tables import Base

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)
