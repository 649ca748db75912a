# Build: docker build -t followup .   Run: see docker-compose.yml
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin followup

FROM debian:bookworm-slim
# The service runs as `followup` (uid 10001) and keeps its SQLite file, written mail and
# token secret in /var/lib/followup/data, which the image creates owned by it with mode
# 0700: a new named volume mounted there takes that owner and mode from the image.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home /var/lib/followup --create-home followup \
    && install -d -o followup -g followup -m 0700 /var/lib/followup/data
COPY --from=build /src/target/release/followup /usr/local/bin/followup
USER followup
WORKDIR /var/lib/followup
ENV BIND=0.0.0.0:8080 DATA_DIR=/var/lib/followup/data LOG_FORMAT=json
EXPOSE 8080
# The port the service listens on: the one in BIND (set it to move both).
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s \
    CMD curl -fsS "http://127.0.0.1:${BIND##*:}/readyz" || exit 1
ENTRYPOINT ["followup"]
CMD ["serve"]
