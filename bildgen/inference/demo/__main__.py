"""Run the demo inference server on its own: python -m bildgen.inference.demo --port 8765 --flavor sglang"""

import argparse
import os

import uvicorn

from bildgen.inference.demo.server import ALL_FLAVORS, DemoOptions, create_app

parser = argparse.ArgumentParser(description="bildgen's demo inference server (the image services' APIs, no model)")
parser.add_argument("--port", type=int, default=8765)
parser.add_argument("--latency", type=float, default=1.5, help="seconds of artificial latency per image")
parser.add_argument("--flavor", choices=ALL_FLAVORS, default="vllm-omni", help="which real server's protocol to follow")
parser.add_argument("--max-references", type=int, default=4, help="input images accepted per edit")
parser.add_argument(
    "--max-concurrent", type=int, default=None, help="generation requests worked on at once; the others wait"
)
parser.add_argument(
    "--api-key-env",
    default=None,
    help="the name of an environment variable holding the key the automatic1111 (user:password), bfl and gateway"
    " flavors demand",
)
parser.add_argument("--result-ttl", type=float, default=600.0, help="seconds a result URL stays valid (bfl, gateway)")
arguments = parser.parse_args()
uvicorn.run(
    create_app(
        DemoOptions(
            latency_per_image=arguments.latency,
            flavor=arguments.flavor,
            max_references=arguments.max_references,
            max_concurrent=arguments.max_concurrent,
            api_key=os.environ.get(arguments.api_key_env) if arguments.api_key_env else None,
            result_ttl_s=arguments.result_ttl,
        )
    ),
    host="127.0.0.1",
    port=arguments.port,
    log_level="warning",
)
