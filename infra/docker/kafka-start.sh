#!/bin/sh
# Kafka 3.9 in KRaft mode for docker-compose, every client authenticated with SASL/SCRAM-SHA-512:
# one user per service (and `admin` for the broker itself and the health check), their passwords
# from the env file. The controller listens on the container's loopback only. SCRAM users are
# written when the storage is formatted, i.e. on an empty volume; to change a password later use
# kafka-configs.sh --alter --add-config 'SCRAM-SHA-512=[password=…]' --entity-type users.
set -eu

for v in KAFKA_CLUSTER_ID KAFKA_ADMIN_PASSWORD KAFKA_HARVEST_INTAKE_PASSWORD KAFKA_GRADING_PASSWORD KAFKA_WAREHOUSE_PASSWORD KAFKA_ORDER_ROUTING_PASSWORD KAFKA_INSIGHTS_PASSWORD; do
  eval "value=\${$v:-}"
  if [ -z "$value" ]; then echo "kafka-start: $v is not set (see .env.example)" >&2; exit 1; fi
done

config=/tmp/server.properties
cat > "$config" <<PROPERTIES
node.id=1
process.roles=broker,controller
controller.quorum.voters=1@localhost:9093
controller.listener.names=CONTROLLER
listeners=INTERNAL://:9092,HOST://:29092,CONTROLLER://localhost:9093
advertised.listeners=INTERNAL://kafka:9092,HOST://localhost:9092
listener.security.protocol.map=INTERNAL:SASL_PLAINTEXT,HOST:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=INTERNAL
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.internal.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${KAFKA_ADMIN_PASSWORD}";
listener.name.host.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
log.dirs=/var/lib/kafka/data
num.partitions=6
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
PROPERTIES

cat > /tmp/admin.properties <<PROPERTIES
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${KAFKA_ADMIN_PASSWORD}";
PROPERTIES

scram() { echo "SCRAM-SHA-512=[name=$1,password=$2]"; }
/opt/kafka/bin/kafka-storage.sh format --ignore-formatted --cluster-id "$KAFKA_CLUSTER_ID" --config "$config" \
  --add-scram "$(scram admin "$KAFKA_ADMIN_PASSWORD")" \
  --add-scram "$(scram harvest-intake "$KAFKA_HARVEST_INTAKE_PASSWORD")" \
  --add-scram "$(scram grading "$KAFKA_GRADING_PASSWORD")" \
  --add-scram "$(scram warehouse "$KAFKA_WAREHOUSE_PASSWORD")" \
  --add-scram "$(scram order-routing "$KAFKA_ORDER_ROUTING_PASSWORD")" \
  --add-scram "$(scram insights "$KAFKA_INSIGHTS_PASSWORD")"

exec /opt/kafka/bin/kafka-server-start.sh "$config"
