"""Lesson aux_output: a main and an auxiliary output (tutorial 001)."""
import streamlit as st

from mbcore import ui
from mbcore.views import tables

TEXT = """
**The idea.** Will a headline be popular? The words go through an `Embedding`
and an `LSTM`; five side features (hour of posting, weekend, followers, picture,
length) join the LSTM's summary in a merge, and three Dense layers lead to the
**main** output. A second, **auxiliary** output sits straight on the LSTM. Its
loss reaches the word pathway by a short road, so the embedding and the LSTM
get a direct teaching signal instead of one that has crossed the whole network.
The tutorial offers this as a help for the word pathway. **Here it does not
help**: at classroom size, with weight 0.2 the held-out main accuracy ends
*below* the run without it (the claims below give the figures over five seeds;
press **Compare auxiliary weights** to see when the curves part). A lesson in itself: an auxiliary
loss is a bet, and data can lose it.

**The data** is simulated (the tutorial had none): some words raise popularity,
some lower it, and the side features add their own share. The auxiliary head
sees only the words, so it can never be as right as the main head.

**What to try.** The tutorial's full size (a 10,000-word vocabulary, 512-wide
embedding, 100 words per headline: **5,200,610** parameters) trains for 10 epochs
of about 3.5 s each on a quiet 2-core server, for minutes on a busy one: the lesson starts at
a classroom size (2,000 words, 32-wide embedding, 30 words per headline, 1,500
headlines, 8 epochs; about 6 s on the same server), and the *tutorial (full size)*
preset switches to the full one. Press **Compare auxiliary
weights**: the tutorial's 0.2 against 0 (no auxiliary supervision) and 1.

**What to look for.** How the held-out main accuracy moves with and without the
auxiliary loss, early and late, and the gap between main and auxiliary accuracy:
that gap is what the side features add. At weight 0 nothing trains the
auxiliary head at all: its curve then shows an untrained head reading an LSTM
that the main loss is changing, not something learned.
"""

exp, aside = ui.lesson_page("aux_output", TEXT)
settings = exp.settings
ui.api_change("one loss for two outputs", (
    "model.compile(optimizer='rmsprop', loss='binary_crossentropy',\n"
    "              loss_weights=[1., 0.2])"), (
    "model.compile(optimizer='rmsprop',\n"
    "              loss={'main_output': 'binary_crossentropy',\n"
    "                    'aux_output': 'binary_crossentropy'},\n"
    "              loss_weights={'main_output': 1.0, 'aux_output': 0.2})"),
    note="Keras 3 no longer spreads one loss string over several weighted outputs: "
         "it stops with `ValueError: loss_weights must match the number of losses`. "
         "Give one loss per output (one loss string without weights still works). "
         "(`Embedding(input_length=...)` is deprecated: Keras 3 warns and ignores it; the "
         "input shape already says how long a headline is.)")
with st.expander("Example headlines (simulated) with their side features and label"):
    ui.table(tables.headline_examples(ui.dataset(settings), 8))
    info = ui.dataset(settings).info
    st.caption(f"Words that raise popularity: {', '.join(info['positive_words'])}. Words "
               f"that lower it: {', '.join(info['negative_words'])}. The rest are made-up "
               "syllables that carry no signal.")

st.subheader("Does the auxiliary loss help? Weight 0, 0.2 and 1 on the same data")
weights = {f"auxiliary weight {w:g}": settings.replace(aux_weight=w) for w in (0.0, 0.2, 1.0)}
ui.compare_panel("aux_weights", "Compare auxiliary weights", weights,
                 metric="main_output_accuracy")
run = ui.train_panel(exp, live=ui.class_plots, title="Train this network")
if run is not None:
    ui.final_metrics(run, {"main accuracy (val)": run.find("main_output_accuracy", val=True),
                           "auxiliary accuracy (val)": run.find("aux_output_accuracy",
                                                                val=True)})
ui.claims_box(exp, aside, run)
