"""Label sheets for a sample and its sub-samples."""

from __future__ import annotations

from lims.core.localtime import local_date
from lims.printing.labels import LabelData, render_labels_pdf
from lims.samples.models import Sample


def label_data(sample: Sample) -> list[LabelData]:
    root = sample.root
    received = local_date(root.received_at)
    labels = [LabelData(number=root.number, food_name=root.food_name, received_on=received)]
    for child in root.children:
        labels.append(LabelData(number=child.number, food_name=child.food_name,
                                received_on=received,
                                sub_label=f"子样 {child.suffix} · {child.assigned_org.name}"))
    return labels


def labels_pdf(sample: Sample, *, layout: str = "roll") -> bytes:
    return render_labels_pdf(label_data(sample), layout=layout)
