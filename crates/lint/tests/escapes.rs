//! Every escape technique from the peers survey (reference/peers.md §2) that can be written in a
//! cell, plus the original checker's known bypasses, must be flagged by the expected rule.

use spatialclaw_lint::{Policy, Rule, lint};

#[track_caller]
fn assert_flags(code: &str, rule: Rule) {
    let report = lint(code, &Policy::default());
    assert!(
        report.diagnostics.iter().any(|d| d.rule == rule),
        "expected {rule} for:\n{code}\ngot:\n{}",
        report.render()
    );
}

#[track_caller]
fn assert_flags_at(code: &str, rule: Rule, line: usize) {
    let report = lint(code, &Policy::default());
    assert!(
        report
            .diagnostics
            .iter()
            .any(|d| d.rule == rule && d.line == line),
        "expected {rule} on line {line} for:\n{code}\ngot:\n{}",
        report.render()
    );
}

#[test]
fn aliasing_forbidden_builtins() {
    assert_flags_at("f = open\nf('/etc/passwd')\n", Rule::DynamicCode, 1);
    assert_flags("[open][0]('/etc/passwd')\n", Rule::DynamicCode);
    assert_flags("list(map(eval, ['1+1']))\n", Rule::DynamicCode);
    assert_flags("g = getattr\ng(x, 'y')\n", Rule::ComputedAttribute);
    assert_flags("def f(cb=exec):\n    cb('x')\n", Rule::DynamicCode);
    // Shadowing in a function does not hide the builtin at module level.
    assert_flags_at(
        "def f(open):\n    return open\nopen('/etc/passwd')\n",
        Rule::DynamicCode,
        3,
    );
    // Used before the cell binds the name: still the builtin at that point.
    assert_flags_at("open('/etc/passwd')\nopen = 1\n", Rule::DynamicCode, 1);
}

#[test]
fn direct_dynamic_code() {
    for code in [
        "eval('1+1')\n",
        "exec('x = 1')\n",
        "c = compile('x = 1', 'f', 'exec')\n",
        "__import__('os')\n",
        "breakpoint()\n",
        "s = input()\n",
        "open('/etc/passwd').read()\n",
        "g = globals()\n",
        "l = locals()\n",
        "v = vars(obj)\n",
        "m = memoryview(b'abc')\n",
        "exit()\n",
        "quit()\n",
        "help('os')\n",
        "arr = np.load('x.npy', allow_pickle=True)\n",
    ] {
        assert_flags(code, Rule::DynamicCode);
    }
}

#[test]
fn builtins_module_and_import_machinery() {
    assert_flags(
        "getattr(__builtins__, 'op' + 'en')('/etc/passwd')\n",
        Rule::DunderAccess,
    );
    assert_flags(
        "getattr(__builtins__, '__imp' + 'ort__')('o' + 's')\n",
        Rule::DunderAccess,
    );
    assert_flags("b = __builtins__\n", Rule::DunderAccess);
    assert_flags("__loader__.load_module('os')\n", Rule::DunderAccess);
    assert_flags("s = __spec__\n", Rule::DunderAccess);
    assert_flags("b = print.__self__\n", Rule::DunderAccess);
    assert_flags("g = globals()['__builtins__']\n", Rule::DynamicCode);
}

#[test]
fn forbidden_imports() {
    for code in [
        "import builtins\n",
        "import os\n",
        "import os.path\n",
        "from os import system\n",
        "import sys\n",
        "import subprocess\n",
        "import importlib\nimportlib.import_module('os')\n",
        "import posix\n",
        "import asyncio\n",
        "import gc\ngc.get_objects()\n",
        "import inspect\n",
        "import ctypes\n",
        "import code\n",
        "import runpy\n",
        "import pickle\n",
        "import marshal\n",
        "import threading\n",
        "import signal\n",
        "import socket\n",
        "import io\n",
        "import pathlib\n",
        "import shutil\n",
        "import multiprocessing\n",
        "import torch\n",
        "import operator\nf = operator.attrgetter('__class__')\n",
        "import string\nstring.Formatter().get_field('0.__class__', [1], {})\n",
        "import types\n",
        "import weakref\n",
        "import traceback\n",
        "import cv2\n",
        "from . import helpers\n",
        "from .. import x\n",
        "import sys\nf = sys._getframe()\n",
    ] {
        assert_flags(code, Rule::ForbiddenImport);
    }
}

#[test]
fn blocked_submodules_of_allowed_packages() {
    for code in [
        "import numpy.ctypeslib\n",
        "from numpy import ctypeslib\n",
        "from numpy.ctypeslib import load_library\n",
        "from numpy.f2py import diagnose\ndiagnose.run_command('id')\n",
        "import numpy.distutils\n",
        "import numpy.testing\n",
        "import scipy.io as sio\n",
        "from scipy.io import savemat\n",
        "from scipy import io\n",
        "from scipy.io.wavfile import read\n",
        "import matplotlib.backends.backend_pdf\n",
        "from matplotlib import animation\n",
        "from PIL import ImageShow\n",
        "from PIL import ImageGrab\n",
        "from typing import get_type_hints\n",
        "from scipy.sparse import load_npz\n",
        "import scipy.datasets\n",
    ] {
        assert_flags(code, Rule::ForbiddenImport);
    }
    for code in [
        "lib = np.ctypeslib.load_library('libc', '/lib')\n",
        "np.f2py.diagnose.run_command('id')\n",
        "import scipy\nscipy.io.savemat('/tmp/x.mat', {'a': 1})\n",
        "scipy.io.loadmat('/etc/x')\n",
        "lib = getattr(np, 'ctypeslib')\n",
        "matplotlib.use('TkAgg')\n",
        "plt.switch_backend('TkAgg')\n",
        "import typing\ntyping.get_type_hints(f)\n",
        "import random\nrandom._os.system('id')\n",
        "matplotlib.os.system('id')\n",
        "import json\njson.codecs.open('/etc/passwd')\n",
        "import warnings\nwarnings.sys.modules['os']\n",
        "np._core.multiarray\n",
        "tools._client.call('x')\n",
        "arr.ctypes.data_as(None)\n",
    ] {
        assert_flags(code, Rule::RestrictedModuleAccess);
    }
}

#[test]
fn class_hierarchy_walks() {
    for code in [
        "().__class__.__bases__[0].__subclasses__()\n",
        "().__class__.__base__.__subclasses__()\n",
        "x = object.__subclasses__()\n",
        "int.__mro__[-1]\n",
        "[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'catch_warnings'][0]()._module.__builtins__\n",
        "type.__dict__['__subclasses__']\n",
        "type.__dict__[chr(95)*2 + 'subclasses' + chr(95)*2](object)\n",
        "f.__init__.__globals__['os']\n",
        "object.__getattribute__(x, name)\n",
        "x.__reduce_ex__(2)\n",
    ] {
        assert_flags(code, Rule::DunderAccess);
    }
}

#[test]
fn getattr_with_built_or_dunder_names() {
    assert_flags("getattr((), '__cl' + 'ass__')\n", Rule::DunderAccess);
    assert_flags("getattr((), '__class__')\n", Rule::DunderAccess);
    assert_flags(
        "getattr(x, '_' * 2 + 'class' + '_' * 2)\n",
        Rule::DunderAccess,
    );
    assert_flags("k = '__class__'\ngetattr(x, k)\n", Rule::DunderAccess);
    assert_flags(
        "for k in ['__class__']:\n    getattr(x, k)\n",
        Rule::DunderAccess,
    );
    assert_flags("setattr(f, '__code__', g.__code__)\n", Rule::DunderAccess);
    assert_flags(
        "getattr(x, chr(95) * 2 + 'class' + chr(95) * 2)\n",
        Rule::ComputedAttribute,
    );
    assert_flags("getattr(np, name)\n", Rule::ComputedAttribute);
    assert_flags("getattr(getattr(x, a), b)\n", Rule::ComputedAttribute);
    assert_flags("delattr(tools, name)\n", Rule::ComputedAttribute);
    assert_flags("getattr(*args)\n", Rule::ComputedAttribute);
    // A name rebound after its literal assignment is no longer known.
    assert_flags(
        "k = 'shape'\nk = k + '__'\ngetattr(x, k)\n",
        Rule::ComputedAttribute,
    );
    // A name from an earlier cell may hold anything, even if this cell also assigns it.
    let policy = Policy::default().with_session_names(["k"]);
    let report = lint("k = 'shape'\ngetattr(x, k)\n", &policy);
    assert!(
        report
            .diagnostics
            .iter()
            .any(|d| d.rule == Rule::ComputedAttribute),
        "{}",
        report.render()
    );
    assert!(lint("k = 'shape'\ngetattr(x, k)\n", &Policy::default()).is_clean());
}

#[test]
fn format_string_access() {
    assert_flags("'{0.__class__.__mro__}'.format(1)\n", Rule::DunderAccess);
    assert_flags(
        "'{0.__globals__[codecs].open.__globals__[sys].modules[os].environ}'.format(json.dumps)\n",
        Rule::DunderAccess,
    );
    assert_flags(
        "t = '{x.__class__}'\nt.format_map({'x': 1})\n",
        Rule::DunderAccess,
    );
    assert_flags("f'{x.__class__}'\n", Rule::DunderAccess);
    assert_flags("f'{{0.__class__}}'.format(1)\n", Rule::DunderAccess);
    assert_flags("b'{0.__class__}'.decode().format(1)\n", Rule::DunderAccess);
    assert_flags("'{0:{1.__mro__}}'.format(1, 2)\n", Rule::DunderAccess);
}

#[test]
fn frame_and_function_internals() {
    for code in [
        "(lambda: 0).__globals__\n",
        "g = (x for x in [1])\nf = g.gi_frame.f_back.f_globals\n",
        "try:\n    1 / 0\nexcept Exception as e:\n    e.__traceback__.tb_frame.f_back.f_globals\n",
        "async def c():\n    pass\nc().cr_frame\n",
        "f.__code__ = g.__code__\n",
        "f.__closure__[0].cell_contents\n",
        "f.__code__.co_consts\n",
        "f.__defaults__\n",
        "m.__func__\n",
    ] {
        assert_flags(code, Rule::DunderAccess);
    }
}

#[test]
fn match_class_patterns() {
    assert_flags(
        "match x:\n    case list(__class__=c):\n        pass\n",
        Rule::DunderAccess,
    );
}

#[test]
fn reserved_names() {
    for (code, line) in [
        ("show = lambda *a, **k: None\n", 1),
        ("ReturnAnswer = print\n", 1),
        ("InputImages_2 = []\n", 1),
        ("InputImages += [x]\n", 1),
        ("for tools in range(3):\n    pass\n", 1),
        ("with ctx() as vlm:\n    pass\n", 1),
        ("import numpy as tools\n", 1),
        ("from feedback import show as vlm\n", 1),
        ("def show(x):\n    pass\n", 1),
        ("class Metadata:\n    pass\n", 1),
        ("del InputImages\n", 1),
        ("def f():\n    global show\n    show = 1\n", 3),
        ("(feedback := 1)\n", 1),
        ("[(RefImages := x) for x in y]\n", 1),
        ("tools.SAM3 = None\n", 1),
        ("del vlm.locate\n", 1),
        ("try:\n    pass\nexcept E as Metadata:\n    pass\n", 3),
        ("match v:\n    case [show]:\n        pass\n", 2),
    ] {
        assert_flags_at(code, Rule::ReservedName, line);
    }
}

#[test]
fn threads_processes_and_signals() {
    assert_flags(
        "import threading\nthreading.Thread(target=f).start()\n",
        Rule::ProcessControl,
    );
    assert_flags("signal.alarm(1)\n", Rule::ProcessControl);
    assert_flags("signal.signal(signal.SIGALRM, h)\n", Rule::ProcessControl);
    assert_flags(
        "import _thread\n_thread.start_new_thread(f, ())\n",
        Rule::ProcessControl,
    );
    assert_flags("subprocess.run(['id'])\n", Rule::ProcessControl);
    assert_flags("multiprocessing.Pool(4)\n", Rule::ProcessControl);
}

#[test]
fn rules_run_even_when_the_syntax_is_broken() {
    let report = lint("import os\nx = (1,\n", &Policy::default());
    assert!(report.syntax.is_some());
    assert!(
        report
            .diagnostics
            .iter()
            .any(|d| d.rule == Rule::ForbiddenImport)
    );
}
