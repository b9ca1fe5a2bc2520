"""A Keras 3 user's everyday training script, run on convlayers with only the import changed.

Everything below the import is plain Keras 3 (the same file runs on Keras 3.15 with
``import keras``): a functional model with a residual block (``Add``, ``ReLU``) and two
inputs joined by ``Concatenate``; sample and class weights; a learning-rate schedule and
optimizer arguments; a generator with ``steps_per_epoch``, a ``torch.utils.data.DataLoader``;
callbacks; the ``*_on_batch`` methods; ``training=False`` calls; saving and loading.

Run it with ``python examples/keras_workflow.py [OUT_DIR]``.
"""

import os
import sys
import tempfile

import numpy as np
import torch

import convlayers as keras  # was: import keras

out_dir = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp()
keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# -- data: 12x12 RGB images and a 4-number description of each; 3 classes -------------------
n = 256
images = rng.normal(size=(n, 12, 12, 3)).astype("float32")
meta = rng.normal(size=(n, 4)).astype("float32")
labels = (images[:, :6].mean(axis=(1, 2, 3)) > 0).astype("int64") + (meta[:, 0] > 0).astype("int64")

# -- a functional model: a residual block on the image, a dense branch on the description ---
image_in = keras.Input((12, 12, 3), name="image")
meta_in = keras.Input((4,), name="meta")
x = keras.layers.Conv2D(8, 3, padding="same", kernel_regularizer=keras.regularizers.l2(1e-4))(image_in)
x = keras.layers.BatchNormalization()(x)
x = keras.layers.ReLU()(x)
y = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(x)
y = keras.layers.Conv2D(8, 3, padding="same")(y)
x = keras.layers.ReLU()(keras.layers.Add()([x, y]))
x = keras.layers.GlobalAveragePooling2D()(x)
m = keras.layers.Dense(8, activation="relu")(meta_in)
z = keras.layers.Dropout(0.1)(keras.layers.Concatenate()([x, m]))
label_out = keras.layers.Dense(3, activation="softmax", name="label")(z)
model = keras.Model(inputs=[image_in, meta_in], outputs=label_out, name="two_inputs")
model.summary()
assert [tuple(t.shape) for t in model.inputs] == [(None, 12, 12, 3), (None, 4)]
assert tuple(model.outputs[0].shape) == (None, 3)

# -- compile: AdamW on an exponentially decaying rate, clipped gradients ---------------------
schedule = keras.optimizers.schedules.ExponentialDecay(1e-2, decay_steps=10, decay_rate=0.9)
model.compile(
    optimizer=keras.optimizers.AdamW(learning_rate=schedule, weight_decay=1e-4, clipnorm=1.0),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)

# -- fit with sample weights, then class weights; evaluate with sample weights ---------------
sample_weight = np.where(labels == 2, 2.0, 1.0).astype("float32")
csv_path = os.path.join(out_dir, "training.csv")
history = model.fit(
    [images, meta], labels, batch_size=32, epochs=3, validation_split=0.2, sample_weight=sample_weight,
    callbacks=[keras.callbacks.CSVLogger(csv_path), keras.callbacks.TerminateOnNaN()], verbose=0,
)
assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
assert all(np.isfinite(history.history["loss"]))
with open(csv_path) as csv_file:
    assert csv_file.readline().strip() == "epoch,accuracy,loss,val_accuracy,val_loss"
model.fit([images, meta], labels, epochs=1, class_weight={0: 1.0, 1: 0.5, 2: 2.0}, verbose=0)
weighted_loss, weighted_accuracy = model.evaluate([images, meta], labels, sample_weight=sample_weight, verbose=0)
assert np.isfinite(weighted_loss) and 0.0 <= weighted_accuracy <= 1.0
assert int(model.optimizer.iterations) == 3 * 7 + 8


# -- a generator with steps_per_epoch, 3-tuple validation data, and a DataLoader -------------
def random_batches(batch_size=32):
    while True:
        index = rng.integers(0, n, batch_size)
        yield (images[index], meta[index]), labels[index]


model.fit(
    random_batches(), steps_per_epoch=4, epochs=2, verbose=0,
    validation_data=([images[:64], meta[:64]], labels[:64], sample_weight[:64]),
)


class Examples(torch.utils.data.Dataset):
    def __len__(self):
        return n

    def __getitem__(self, i):
        return (images[i], meta[i]), labels[i]


loader = torch.utils.data.DataLoader(Examples(), batch_size=32, shuffle=True)
model.fit(loader, epochs=1, verbose=0)
loader_loss = model.evaluate(loader, verbose=0)[0]
assert np.isfinite(loader_loss)

# -- one batch at a time; calls in inference mode --------------------------------------------
batch = [images[:32], meta[:32]]
train_loss = model.train_on_batch(batch, labels[:32])
test_logs = model.test_on_batch(batch, labels[:32], return_dict=True)
assert sorted(test_logs) == ["accuracy", "loss"]
predicted = model.predict_on_batch(batch)
called = np.asarray(model(batch, training=False))
np.testing.assert_allclose(called, predicted, rtol=1e-5, atol=1e-6)
np.testing.assert_allclose(predicted.sum(axis=1), 1.0, rtol=1e-5)

# -- a Sequential on one-hot targets: SGD with global clipping, learning-rate callbacks -------
one_hot = keras.utils.to_categorical(labels, num_classes=3)
assert one_hot.shape == (n, 3) and one_hot.dtype == np.float64  # NumPy in, NumPy (float64) out, as Keras
simple = keras.Sequential([
    keras.Input((12, 12, 3)),
    keras.layers.Conv2D(4, 3),
    keras.layers.LeakyReLU(negative_slope=0.1),
    keras.layers.Flatten(),
    keras.layers.Dense(3, activation="softmax"),
])
simple.compile(
    optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9, global_clipnorm=5.0),
    loss="categorical_crossentropy",
    metrics=["accuracy"],
)
simple.fit(
    images, one_hot, epochs=3, validation_data=(images[:64], one_hot[:64]), verbose=0,
    callbacks=[keras.callbacks.LearningRateScheduler(lambda epoch, lr: 0.05 * 0.5**epoch)],
)
np.testing.assert_allclose(float(simple.optimizer.learning_rate), 0.0125, rtol=1e-6)
simple.optimizer.learning_rate = 0.01
simple.fit(
    images, one_hot, epochs=2, verbose=0, validation_data=(images[:64], one_hot[:64]),
    callbacks=[keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=0, min_delta=10.0)],
)
np.testing.assert_allclose(float(simple.optimizer.learning_rate), 0.005, rtol=1e-6)
simple.fit(
    images, one_hot, epochs=2, verbose=0,
    callbacks=[keras.callbacks.BackupAndRestore(os.path.join(out_dir, "backup"))],
)

# -- saving and loading ----------------------------------------------------------------------
path = os.path.join(out_dir, "two_inputs.keras")
model.save(path)
restored = keras.models.load_model(path)
np.testing.assert_allclose(restored.predict([images, meta], verbose=0), model.predict([images, meta], verbose=0), rtol=1e-5, atol=1e-6)
rebuilt = keras.models.model_from_json(model.to_json())
assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in model.layers]
print("keras_workflow: every step ran")
