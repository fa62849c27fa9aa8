"""train_ensemble and `nnreg sweep`: every member equals the same run trained alone."""

import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import jax
import numpy as np
import optax
import pytest

import nnreg.core as core
from nnreg.core import _engine

NNREG = Path(sys.executable).with_name("nnreg")
FOUR_CPU_DEVICES = {"XLA_FLAGS": "--xla_force_host_platform_device_count=4"}


@pytest.fixture(scope="module")
def problem():
    x, y = core.generate_data(data_size=120)
    x_val, y_val = core.generate_data(data_size=120, seed=core.VALIDATION_SEED)
    return x, y, x_val, y_val


def single_run(problem, optimizer, seed, lr, epochs):
    params = core.init_params(seed=seed)
    if optimizer is None:
        return core.train_gradient_descent(params, *problem, epochs=epochs, learning_rate=lr)
    return core.train_optax(params, optimizer(lr), *problem, epochs=epochs)


@pytest.mark.parametrize("optimizer", [None, optax.sgd, optax.adam], ids=["gd", "sgd", "adam"])
def test_members_equal_single_runs(problem, optimizer):
    seeds, lrs = [3, 1234, 3], [1e-3, 3e-3, 1e-2]
    result = core.train_ensemble(
        *problem, seeds=seeds, learning_rates=lrs, epochs=300, optimizer=optimizer
    )
    assert result.train_loss.shape == result.val_loss.shape == (3, 300)
    for i, (seed, lr) in enumerate(zip(seeds, lrs, strict=True)):
        alone = single_run(problem, optimizer, seed, lr, 300)
        assert result.final_val_loss[i] == pytest.approx(alone.final_val_loss, abs=1e-4)
        np.testing.assert_allclose(result.val_loss[i], alone.val_loss, rtol=1e-4, atol=1e-5)
        member = result.member_params(i)
        np.testing.assert_allclose(member[0]["W"], alone.params[0]["W"], atol=1e-4)
    assert not result.diverged.any()


@pytest.mark.parametrize("optimizer", [None, optax.adam], ids=["gd", "adam"])
def test_a_repeated_ensemble_compiles_nothing(problem, optimizer, caplog):
    def run(seeds, rate):
        caplog.clear()
        with jax.log_compiles(), caplog.at_level(logging.WARNING, logger="jax"):
            core.train_ensemble(
                *problem, seeds=seeds, learning_rates=rate, epochs=20, optimizer=optimizer
            )
        return [r.getMessage() for r in caplog.records if r.getMessage().startswith("Compiling")]

    _engine.compiled_init.cache_clear()  # whatever earlier tests compiled
    first = run([1, 2, 3, 4, 5], 1e-3)
    init_name = "_gradient_descent_init" if optimizer is None else "_init_injected"
    assert any(init_name in m for m in first), first
    assert run([6, 7, 8, 9, 10], 3e-3) == []  # the members' optimizer state too: compiled once


def test_gradient_descent_inside_a_chain_trains_at_each_members_rate(problem):
    def decayed_gd(learning_rate):
        return optax.chain(optax.add_decayed_weights(0.0), core.gradient_descent(learning_rate))

    kwargs = {"seeds": [3, 3], "learning_rates": [1e-3, 1e-2], "epochs": 50}
    chained = core.train_ensemble(*problem, optimizer=decayed_gd, **kwargs)
    plain = core.train_ensemble(*problem, **kwargs)
    np.testing.assert_allclose(chained.val_loss, plain.val_loss, rtol=1e-6)
    assert chained.val_loss[1, -1] < chained.val_loss[0, -1] < chained.val_loss[0, 0]


@pytest.mark.parametrize("name", ["gd", "sgd", "adam"])
def test_flat_updates_train_each_member_at_its_rate_as_per_leaf_updates_do(problem, name):
    factory = core.optimizer_factory(name)
    kwargs = {"seeds": [3, 3], "learning_rates": [1e-3, 1e-2], "epochs": 50}
    flat = core.train_ensemble(*problem, optimizer=core.flat_update(factory), **kwargs)
    per_leaf = core.train_ensemble(*problem, optimizer=factory, **kwargs)
    assert flat.val_loss[1, -1] < flat.val_loss[0, -1] < flat.val_loss[0, 0]
    # Adam: the same arithmetic, which XLA may fuse in another order; its rounding grows.
    rtol = 1e-4 if name == "adam" else 0
    np.testing.assert_allclose(flat.val_loss, per_leaf.val_loss, rtol=rtol)
    for k in range(2):
        for got, want in zip(
            jax.tree.leaves(flat.member_params(k)),
            jax.tree.leaves(per_leaf.member_params(k)),
            strict=True,
        ):
            np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol / 10)


def test_flat_update_gives_one_function_per_factory_and_one_flat_state():
    assert core.flat_update(optax.adam) is core.flat_update(optax.adam)
    assert core.flat_update(optax.adam) is not core.flat_update(optax.sgd)
    state = core.flat_update(optax.adam)(1e-3).init(core.init_params())
    sizes = core.LECTURE_LAYER_SIZES
    total = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    assert {leaf.shape for leaf in jax.tree.leaves(state) if leaf.ndim} == {(total,)}


def test_members_differ_in_weight_decay_within_one_program(problem):
    def decayed_adam(learning_rate, weight_decay):
        return optax.chain(optax.add_decayed_weights(weight_decay), optax.adam(learning_rate))

    kwargs = {"seeds": [3, 3], "learning_rates": 1e-2, "epochs": 200}
    both = core.train_ensemble(*problem, optimizer=decayed_adam, weight_decays=[0.0, 0.5], **kwargs)
    for k, decay in enumerate([0.0, 0.5]):
        alone = core.train_ensemble(
            *problem,
            optimizer=lambda learning_rate, d=decay: decayed_adam(learning_rate, d),
            **kwargs,
        )
        np.testing.assert_allclose(both.val_loss[k], alone.val_loss[0], rtol=1e-4, atol=1e-6)
    weights = [np.abs(both.member_params(k)[0]["W"]).sum() for k in range(2)]
    assert weights[1] < 0.5 * weights[0]  # the decay shrank the second member's weights


def test_a_diverging_member_does_not_spoil_the_others(problem):
    result = core.train_ensemble(*problem, seeds=[1, 1], learning_rates=[1e-3, 50.0], epochs=100)
    assert result.diverged.tolist() == [False, True]
    assert result.diverged_epoch[0] == -1 and 0 <= result.diverged_epoch[1] < 100
    assert np.isfinite(result.final_val_loss[0])


def test_progress_is_reported_between_chunks(problem):
    seen = []
    core.train_ensemble(
        *problem, seeds=[1, 2], learning_rates=1e-3, epochs=25, optimizer=optax.adam,
        progress=lambda done, total, loss: seen.append((done, total)), chunk_epochs=10,
    )  # fmt: skip
    done = [d for d, _ in seen]
    assert done[-1] == 25 and all(total == 25 for _, total in seen)
    assert all(0 < b - a <= 10 for a, b in zip([0, *done], done, strict=False))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"seeds": [], "learning_rates": 1e-3}, ValueError, "seeds must be a non-empty"),
        ({"seeds": [1.5], "learning_rates": 1e-3}, TypeError, "seeds must be ints"),
        ({"seeds": [-1], "learning_rates": 1e-3}, ValueError, r"seeds\[i\] must be at least 0"),
        (
            {"seeds": [1, 2], "learning_rates": [1e-3, -1.0]},
            ValueError,
            r"learning_rates\[i\] must be positive, got -1.0",
        ),
        (
            {"seeds": [1, 2], "learning_rates": [1e-3, 1e-3, 1e-3]},
            ValueError,
            "one number or one per seed",
        ),
        ({"seeds": [1], "learning_rates": 1e-3, "epochs": 0}, ValueError, "epochs must be at"),
        ({"seeds": [1], "learning_rates": 1e-3, "devices": []}, ValueError, "at least one device"),
        ({"seeds": [1], "learning_rates": 1e-3, "optimizer": "adam"}, TypeError, "callable"),
        (
            {"seeds": [1, 2], "learning_rates": 1e-3, "weight_decays": [0.1, 0.2, 0.3]},
            ValueError,
            "weight_decays must be one number or one per seed: 2 seeds, weight_decays of shape",
        ),
        (
            {"seeds": [1], "learning_rates": 1e-3, "weight_decays": [-1.0]},
            ValueError,
            "weight_decay must be zero or positive, got -1.0",
        ),
        (
            {"seeds": [1], "learning_rates": 1e-3, "weight_decays": 0.1},
            TypeError,
            r"with weight_decays, optimizer must be a factory taking \(learning_rate, weight_d",
        ),
    ],
)
def test_bad_arguments(problem, kwargs, error, message):
    with pytest.raises(error, match=message):
        core.train_ensemble(*problem, **{"epochs": 5, **kwargs})


def run_with_four_devices(code):
    env = {**os.environ, **FOUR_CPU_DEVICES}
    run = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_six_members_sharded_over_four_devices_equal_single_runs():
    report = run_with_four_devices(
        """
        import json, jax, optax
        import nnreg.core as core
        x, y = core.generate_data(data_size=120)
        xv, yv = core.generate_data(data_size=120, seed=core.VALIDATION_SEED)
        seeds, lrs = [10, 11, 12, 13, 14, 15], [1e-3, 3e-3, 1e-2, 1e-3, 3e-3, 1e-2]
        ens = core.train_ensemble(x, y, xv, yv, seeds=seeds, learning_rates=lrs,
                                  epochs=200, optimizer=optax.adam)
        alone = [core.train_optax(core.init_params(seed=s), optax.adam(lr), x, y, xv, yv,
                                  epochs=200).final_val_loss for s, lr in zip(seeds, lrs)]
        print(json.dumps({"devices": ens.devices, "jax_devices": jax.device_count(),
                          "ensemble": ens.final_val_loss.tolist(), "alone": alone}))
        """
    )
    assert report["jax_devices"] == report["devices"] == 4
    np.testing.assert_allclose(report["ensemble"], report["alone"], atol=1e-4)


def test_fused_network_members_sharded_over_four_devices_equal_plain_members():
    # Each device runs mlp_tanh on its own members (shard_map), not all of them.
    report = run_with_four_devices(
        """
        import json, optax
        import nnreg.core as core
        from nnreg.kernels import mlp_tanh
        x, y = core.generate_data(data_size=120)
        xv, yv = core.generate_data(data_size=120, seed=core.VALIDATION_SEED)
        common = dict(seeds=range(6), learning_rates=3e-3, epochs=200, optimizer=optax.adam)
        plain = core.train_ensemble(x, y, xv, yv, **common)
        fused = core.train_ensemble(x, y, xv, yv, forward=mlp_tanh, **common)
        print(json.dumps({"devices": fused.devices, "plain": plain.final_val_loss.tolist(),
                          "fused": fused.final_val_loss.tolist()}))
        """
    )
    assert report["devices"] == 4
    np.testing.assert_allclose(report["fused"], report["plain"], rtol=1e-4)


def test_a_first_sharded_run_compiles_its_chunk_program_once():
    # The optimizer state starts laid out by member, as the chunks return it: XLA had placed
    # some of it whole on every device, and the second chunk compiled the program again, on
    # the main thread.
    report = run_with_four_devices(
        """
        import json, logging, optax
        import jax
        import nnreg.core as core
        compiled = []
        class Counter(logging.Handler):
            def emit(self, record):
                if record.getMessage().startswith("Finished XLA compilation of jit(_run_chunk)"):
                    compiled.append(record.threadName)
        logging.getLogger("jax").addHandler(Counter())
        jax.config.update("jax_log_compiles", True)
        x, y = core.generate_data(data_size=120)
        xv, yv = core.generate_data(data_size=120, seed=core.VALIDATION_SEED)
        result = core.train_ensemble(x, y, xv, yv, seeds=range(8), learning_rates=3e-3,
                                     epochs=300, optimizer=optax.adam, patience=250,
                                     chunk_epochs=50)
        print(json.dumps({"devices": result.devices, "compiled": compiled}))
        """
    )
    assert report["devices"] == 4
    assert report["compiled"] == ["nnreg-compile"]


def test_float64_members_keep_their_best_parameters_under_x64():
    # Their losses are float64; the best-so-far losses, kept in float32 as the loss buffers
    # are, had made the compiled loop's carry change dtype (found by review).
    code = """
        import json
        import numpy as np, optax
        import nnreg.core as core
        def float64_init(sizes, seed):
            return [{k: np.asarray(v, np.float64) for k, v in layer.items()}
                    for layer in core.init_params(sizes, seed=seed)]
        x, y = core.generate_data(data_size=24)
        xv, yv = core.generate_data(data_size=24, seed=9)
        result = core.train_ensemble(x, y, xv, yv, seeds=[1, 2], learning_rates=0.05,
                                     epochs=50, optimizer=optax.adam, patience=3,
                                     init=float64_init)
        # Patience 1 runs out before epoch 2 and the end of the run is weighed; a queued chunk
        # weighed it again, and a float64 loss compared with its own float32 rounding improved.
        queued = [core.train_ensemble(x, y, xv, yv, seeds=[0], learning_rates=0.05, epochs=23,
                                      optimizer=optax.adam, patience=1, init=float64_init,
                                      chunk_epochs=chunk)
                  for chunk in (None, 1, 3)]
        print(json.dumps({"stopped": bool(result.stopped_early),
                          "dtype": str(result.member_params(0)[0]["W"].dtype),
                          "best": result.best_epoch.tolist(),
                          "epochs": result.val_loss.shape[1],
                          "queued": [(int(q.best_epoch[0]), q.val_loss.shape[1]) for q in queued]}))
        """
    run = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "JAX_ENABLE_X64": "1"},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["stopped"] and report["dtype"] == "float64"
    # patience 3 ran out 4 epochs after the last best (unless the end of the run was the best)
    assert report["epochs"] in (max(report["best"]) + 4, max(report["best"]))
    best, epochs = report["queued"][0]
    assert report["queued"] == [[best, epochs]] * 3 and best <= epochs


def test_a_flat_rule_carries_flat_parameters_on_one_device_and_trees_over_several():
    # Measured: flat parameters are faster on one device, slower sharded (see _ensemble).
    report = run_with_four_devices(
        """
        import json, jax, optax
        import nnreg.core as core
        from nnreg.core import _flat_parameters
        from nnreg.kernels import mlp_tanh
        flattened = []
        original = _flat_parameters.FlatLayout.flatten
        def recording(layout, params):
            flattened.append(jax.tree.leaves(params)[0].shape[0])
            return original(layout, params)
        _flat_parameters.FlatLayout.flatten = recording
        x, y = core.generate_data(data_size=120)
        xv, yv = core.generate_data(data_size=120, seed=core.VALIDATION_SEED)
        common = dict(seeds=range(6), learning_rates=3e-3, epochs=200, forward=mlp_tanh,
                      optimizer=core.flat_update(optax.adam))
        losses = {}
        for count in (1, 4):
            result = core.train_ensemble(x, y, xv, yv, devices=jax.devices()[:count], **common)
            losses[count] = result.final_val_loss.tolist()
        print(json.dumps({"flattened": flattened, "one": losses[1], "four": losses[4]}))
        """
    )
    assert report["flattened"] == [6]  # the one-device run's 6 members, once
    np.testing.assert_allclose(report["four"], report["one"], rtol=1e-4)
