"""Browsing the sampling rules, and the 细类 autocomplete of the receipt form."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, jsonify, render_template, request
from flask_login import login_required

from lims.extensions import db
from lims.foods import services
from lims.foods.models import FoodCategoryNode

bp = Blueprint("foods", __name__, url_prefix="/foods")


@bp.get("/")
@login_required
def index():
    edition = services.current_edition()
    nodes = [] if edition is None else db.session.scalars(
        sa.select(FoodCategoryNode).where(FoodCategoryNode.edition_id == edition.id)
        .order_by(FoodCategoryNode.id)).all()
    children: dict[int | None, list[FoodCategoryNode]] = {}
    for node in nodes:
        children.setdefault(node.parent_id, []).append(node)
    return render_template("foods/index.html", edition=edition, children=children)


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
