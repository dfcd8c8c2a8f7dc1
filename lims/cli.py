"""The ``lims`` console script: Flask's CLI group bound to the app factory (no FLASK_APP)."""

from __future__ import annotations

from flask.cli import FlaskGroup

from lims import create_app


def _factory():
    return create_app()


main = FlaskGroup(create_app=_factory, help="lims 实验室信息管理系统命令行 / lims command line.")


if __name__ == "__main__":
    main()
