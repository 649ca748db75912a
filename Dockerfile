# Build: docker build -t followup .   Run: see docker-compose.yml
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin followup

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/followup --create-home followup
COPY --from=build /src/target/release/followup /usr/local/bin/followup
USER followup
WORKDIR /var/lib/followup
ENV BIND=0.0.0.0:8080 DATA_DIR=/var/lib/followup/data LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["followup"]
CMD ["serve"]
