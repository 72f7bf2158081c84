#!/usr/bin/python3
"""The peer of bench/template_cli.sh: what `fgrun -p PROJECT -t CONFIG pp` followed by a
YAML load does, done by Python's Jinja2 + PyYAML (the engine Forgather's CLI uses), with
the Forgather preprocessor of tests/template/reference.py. Renders the project's
meta.yaml, then the config, then loads the YAML with Forgather-style tags.

    bench/jinja_peer.py PROJECT_DIR CONFIG
"""
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "template"))

import reference  # noqa: E402
import yaml  # noqa: E402


class TagLoader(yaml.SafeLoader):
    pass


def construct_tagged(loader, suffix, node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


TagLoader.add_multi_constructor("!", construct_tagged)


def main():
    project, config = os.path.abspath(sys.argv[1]), sys.argv[2]
    library = os.path.join(ROOT, "templates")
    meta_env = reference.make_environment([project, library])
    meta_env.globals.update(project_dir=project, workspace_root=os.path.dirname(project))
    meta = yaml.load(meta_env.get_template("meta.yaml").render(), Loader=TagLoader)
    searchdir = [os.path.join(project, d) for d in meta.get("searchdir", ["templates"])]
    env = reference.make_environment(searchdir + [library])
    env.globals.update(project_dir=project, workspace_root=os.path.dirname(project))
    prefix = meta.get("config_prefix", "configs")
    text = env.get_template(f"{prefix}/{config}").render()
    list(yaml.load_all(text, Loader=TagLoader))
    sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
