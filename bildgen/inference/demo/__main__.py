"""Run the demo inference server on its own: python -m bildgen.inference.demo --port 8765"""

import argparse

import uvicorn

from bildgen.inference.demo.server import DemoOptions, create_app

parser = argparse.ArgumentParser(description="bildgen's demo inference server (OpenAI image API, no model)")
parser.add_argument("--port", type=int, default=8765)
parser.add_argument("--latency", type=float, default=1.5, help="seconds of artificial latency per image")
arguments = parser.parse_args()
uvicorn.run(
    create_app(DemoOptions(latency_per_image=arguments.latency)),
    host="127.0.0.1",
    port=arguments.port,
    log_level="warning",
)
