"""Loads Rasa's TensorFlow models for serving without the one training step Rasa runs first.

Rasa 3.6 (`rasa.utils.tensorflow.models.RasaModel.load`) builds a model's variables by fitting it
on one example: that traces Keras' whole training step, optimizer included, and it was about two
thirds of the Rasa server's start-up here (DIET, ResponseSelector and TED: 36 of 54 s, measured
with cProfile in BENCHMARKS.md). For serving, one eager prediction builds every variable a
prediction reads; the trained weights are then restored over them (the optimizer's and metrics'
values in the checkpoint are left unread on purpose), and the prediction graph is traced once
with the real weights, as Rasa does. Fine-tuning and models without an example keep Rasa's path.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf
from rasa.utils.tensorflow.model_data import RasaModelData
from rasa.utils.tensorflow.models import RasaModel
from rasa.utils.train_utils import create_data_generators

_RASA_LOAD = RasaModel.load.__func__  # type: ignore[attr-defined]


def _build_variables(model: RasaModel, example: RasaModelData) -> None:
    """One eager prediction: creates the variables of every layer a prediction uses."""
    generator, _ = create_data_generators(model_data=example, batch_sizes=1, epochs=1, shuffle=False)
    batch_in = next(iter(generator))[0]
    model._training = False
    model.prepare_for_predict()
    model.batch_predict(batch_in)


def _forget_predictions(model: RasaModel) -> None:
    """Drop what the build computed from untrained weights (label embeddings, traced graph)."""
    model.prepared_for_prediction = False
    model._tf_predict_step = None
    if hasattr(model, "all_labels_embed"):
        model.all_labels_embed = None


def load_for_serving(
    cls: type[RasaModel],
    model_file_name: str,
    model_data_example: RasaModelData,
    predict_data_example: RasaModelData | None = None,
    finetune_mode: bool = False,
    *args: Any,
    **kwargs: Any,
) -> RasaModel:
    """`RasaModel.load` for prediction only: same weights, same predictions, no training step."""
    if finetune_mode or predict_data_example is None:
        return _RASA_LOAD(cls, model_file_name, model_data_example, predict_data_example,
                          finetune_mode, *args, **kwargs)
    model = cls(*args, **kwargs)
    config = kwargs.get("config", {})
    model.compile(optimizer=tf.keras.optimizers.Adam(), run_eagerly=config.get("run_eagerly"))
    _build_variables(model, predict_data_example)
    model.load_weights(model_file_name).expect_partial()
    _forget_predictions(model)
    model.run_inference(predict_data_example)  # traced once with the trained weights
    return model


def install() -> None:
    """Serve with `load_for_serving` in this process (the Rasa server, benchmarks)."""
    RasaModel.load = classmethod(load_for_serving)  # type: ignore[method-assign,assignment]

