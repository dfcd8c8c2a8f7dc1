"""Browsing the sampling rules, and the 细类 autocomplete of the receipt form."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask_login import login_required
from markupsafe import Markup

from lims.extensions import db
from lims.foods import services
from lims.foods.models import FoodCategoryNode

bp = Blueprint("foods", __name__, url_prefix="/foods")


def _tree_html(edition) -> Markup:
    """The edition's whole tree (about 500 nodes), rendered once per process and version.

    Rendering it took most of the page's time; the tree only changes when the rules are
    (re)imported, which changes the count, the largest id or the latest update below.
    """
    node = FoodCategoryNode
    version = (edition.id, *db.session.execute(
        sa.select(sa.func.count(node.id), sa.func.max(node.id), sa.func.max(node.updated_at))
        .where(node.edition_id == edition.id)).one())
    cache = current_app.extensions.setdefault("lims_foods_tree", {})
    html = cache.get(version)
    if html is None:
        children: dict[int | None, list[FoodCategoryNode]] = {}
        for row in db.session.scalars(sa.select(node).where(node.edition_id == edition.id)
                                      .order_by(node.id)):
            children.setdefault(row.parent_id, []).append(row)
        html = Markup(render_template("foods/_tree.html", children=children))
        cache.clear()  # one version kept: the current edition's
        cache[version] = html
    return html


@bp.get("/")
@login_required
def index():
    edition = services.current_edition()
    tree = _tree_html(edition) if edition is not None else None
    return render_template("foods/index.html", edition=edition, tree=tree)


@bp.get("/<code>")
@login_required
def subcategory(code: str):
    node = services.find_subcategory(code)
    if node is None:
        abort(404)
    return render_template("foods/subcategory.html", node=node,
                           path=services.category_path(node), items=services.items_for(node))


@bp.get("/subcategories.json")
@login_required
def subcategories_json():
    found = services.search_subcategories(request.args.get("q", ""))
    return jsonify([{"code": n.code, "name": n.name_zh} for n in found])
