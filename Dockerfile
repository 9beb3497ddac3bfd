# The pipeline's image: Airflow's official image plus this project's locked dependencies and package.
FROM apache/airflow:3.3.2-python3.11
USER airflow
COPY --chown=airflow:root requirements.lock /opt/parmetrics/requirements.lock
RUN pip install --no-cache-dir -r /opt/parmetrics/requirements.lock
COPY --chown=airflow:root . /opt/parmetrics
RUN pip install --no-cache-dir --no-deps -e /opt/parmetrics
ENV AIRFLOW__CORE__DAGS_FOLDER=/opt/parmetrics/dags \
    PARMETRICS_DATA_DIR=/data
