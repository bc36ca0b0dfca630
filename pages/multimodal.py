"""Lesson multimodal: image plus tag, and what each branch alone can do (tutorial 004)."""
import streamlit as st

from mbcore import ui
from mbcore.views import figures
from mbcore.views import tables

TEXT = """
**The idea.** A picture and a word need different machinery: convolutions and
pooling for the picture, an embedding for the word. Each gets its own pathway,
`Conv → MaxPool → Conv → MaxPool → Dense` for the image and `Embedding → Dense`
for the tag, and the two are merged before the final classifier, so both are
trained together by one loss.

**The task** is made so that it needs both: each image shows a circle, square,
triangle or cross, and comes with a tag word. The label says whether the tag
names the shape. Half the tags are right, half are wrong, so the image alone or
the tag alone says nothing about the label.

**What to try.** Press **Ablation** to train three models on the same data:
both branches, the image branch only, the tag branch only. Then try other merge
modes (the image and tag widths must be equal for add, multiply and the rest).

**What to look for.** Each branch alone stays near chance (50 %); only the
merged model gets well above it (measured over five seeds below).

The source tutorial gives no layer sizes for this network: the sizes here are ours.
"""

exp, aside = ui.lesson_page("multimodal", TEXT)
settings = exp.settings
ui.api_change("Merge", *tables.merge_code(settings.merge))

images, tags, shapes, match = tables.image_examples(ui.dataset(settings), 12)
captions = [f"tag: {t} · {'yes' if m else 'no'}" for t, m in zip(tags, match)]
ui.chart(figures.image_grid(images, captions, "Training samples: the picture, its tag, "
                            "and the label (yes: the tag names the shape)",
                            colors=["#15803d" if m else "#b91c1c" for m in match]))

st.subheader("Ablation: both branches, image only, tag only")
variants = {b: settings.replace(branches=b) for b in ("both", "image", "tag")}
runs = ui.compare_panel("ablation", "Ablation", variants, metric="accuracy")
if runs:
    acc = {name: r.final.get(r.find("accuracy", val=True), 0.0) for name, r in runs.items()}
    ui.chart(figures.bars(acc, "Validation accuracy by branches used", "accuracy",
                          ref=0.5, ref_label="chance"))

run = ui.train_panel(exp, live=ui.class_plots, title="Train this network")
if run is not None:
    ui.final_metrics(run)
ui.claims_box(exp, aside, run)
