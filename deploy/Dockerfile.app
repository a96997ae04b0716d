# Actions, catalog and gateway (Python 3.11). Build outputs (index, model) are made in the image,
# never taken from the build context: `make index` needs the shop database, so the image builds
# the demo index; a real shop mounts its own index at /app/var/index.
FROM python:3.11-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
 && pip install --no-cache-dir -c requirements/app.lock -e ".[app]" \
 && python -m aisle seed && python -m catalog build --products var/demo/products.jsonl --out var/index
ENV HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
