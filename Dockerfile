# The pipeline's image (every Airflow service, the workers and the source simulators in
# docker-compose.yml): Airflow's official image at the version requirements.txt pins, plus this
# project's locked dependencies and package. The lock pins apache-airflow itself, so the install
# cannot move Airflow away from the image's version.
FROM apache/airflow:3.3.2-python3.11

USER root
# Named volumes copy the ownership of the directory they are mounted on: create the data and auth
# folders as the airflow user so the services can write to the fresh volumes.
RUN mkdir -p /data/published /opt/airflow/auth && chown -R airflow:0 /data /opt/airflow/auth
USER airflow

COPY --chown=airflow:root requirements.lock /opt/parmetrics/requirements.lock
RUN pip install --no-cache-dir -r /opt/parmetrics/requirements.lock
COPY --chown=airflow:root . /opt/parmetrics
RUN pip install --no-cache-dir --no-deps -e /opt/parmetrics

ENV AIRFLOW__CORE__DAGS_FOLDER=/opt/parmetrics/dags \
    PARMETRICS_DATA_DIR=/data
