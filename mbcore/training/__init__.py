"""Training: the only package that imports TensorFlow at module level.

trainer.py (several epochs per traced call) with compiled.py and ops.py,
job.py (one Experiment end to end, and the worker's job function),
insights.py (what pages look at inside a model), bench.py (against model.fit).
Nothing imports this package in the Streamlit server; workers and the
command line load it when they train.
"""
