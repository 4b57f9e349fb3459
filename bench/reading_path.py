"""How much of minin a reader reads to follow one forward and backward pass on the CPU.

    python bench/reading_path.py              # one 3×3 nn.Conv2d: layer(x).sum().backward()
    python bench/reading_path.py --model small --list

Every minin function the pass calls (from ``Module.__call__`` down to the kernels and back,
with the gradients cleared as ``optimizer.zero_grad()`` leaves them) is a function the
reader opens; its whole source, docstring included, is what they read. The script runs
the pass once to warm up, then once under ``sys.settrace`` and counts:

* lines read: the source lines of those functions, each line once (a function defined
  inside another is part of it already);
* functions and files they sit in;
* lines run: the lines that actually executed;
* code lines: the lines read less docstrings, comments and blank lines (what is left
  when a reader skips the prose).

Run it with ``PYTHONPATH`` pointing at another checkout to measure that one.
"""

import argparse
import ast
import collections
import inspect
import io
import os
import sys
import tokenize

import numpy as np


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=["conv", "small"], default="conv",
                        help="conv: one nn.Conv2d(8, 16, 3, padding=1) on a (4, 8, 12, 12) batch; "
                             "small: nin('small') on a (4, 1, 28, 28) batch")
    parser.add_argument("--list", action="store_true", help="list the functions, longest first")
    return parser.parse_args(argv)


def build(model):
    import minin as mn

    rng = np.random.default_rng(0)
    if model == "conv":
        net, shape = mn.nn.Conv2d(8, 16, 3, padding=1), (4, 8, 12, 12)
    else:
        from minin.models import nin
        net, shape = nin("small"), (4, 1, 28, 28)
    return net, mn.tensor(rng.standard_normal(shape).astype(np.float32))


def trace(net, x, root):
    """The code objects of the minin functions one pass calls, and the lines it runs."""
    called, ran = set(), collections.defaultdict(set)

    def tracer(frame, event, arg):
        code = frame.f_code
        if code.co_filename.startswith(root):
            if event == "call":
                called.add(code)
            elif event == "line":
                ran[code.co_filename].add(frame.f_lineno)
        return tracer

    for p in net.parameters():
        p.grad = None
    sys.settrace(tracer)
    try:
        net(x).sum().backward()
    finally:
        sys.settrace(None)
    return called, ran


def code_lines(path, lines):
    """Those of ``lines`` (numbers in the file ``path``) that hold code: not blank, not
    only a comment, not part of a docstring."""
    with open(path, encoding="utf-8") as f:
        source = f.read()
    prose = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
            prose.update(range(body[0].lineno, body[0].end_lineno + 1))
    code = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                              tokenize.DEDENT, tokenize.ENDMARKER):
            code.update(range(token.start[0], token.end[0] + 1))
    return (code - prose) & lines


def main(argv=None):
    args = parse_args(argv)
    import minin

    root = os.path.dirname(os.path.abspath(minin.__file__))
    net, x = build(args.model)
    net(x).sum().backward()  # imports and caches, so the traced pass is the steady one
    called, ran = trace(net, x, root)
    read = collections.defaultdict(set)
    functions = []
    for code in called:
        if code.co_name.startswith("<"):  # comprehensions and lambdas sit inside a function
            continue
        source, first = inspect.getsourcelines(code)
        read[code.co_filename].update(range(first, first + len(source)))
        functions.append((len(source), os.path.relpath(code.co_filename, root), code.co_name))
    print(f"minin at {root}, model {args.model}")
    print(f"lines read {sum(map(len, read.values()))}, functions {len(functions)}, "
          f"files {len(read)}, lines run {sum(map(len, ran.values()))}, "
          f"code lines {sum(len(code_lines(path, lines)) for path, lines in read.items())}")
    if args.list:
        for length, path, name in sorted(functions, key=lambda f: (-f[0], f[1], f[2])):
            print(f"{length:5d}  {path}:{name}")


if __name__ == "__main__":
    main()
