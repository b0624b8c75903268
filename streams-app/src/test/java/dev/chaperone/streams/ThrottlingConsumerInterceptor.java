package dev.chaperone.streams;

import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Slows a consumer down to at most {@value #RECORDS_PER_SECOND} records a second by sleeping in
 * {@code poll}, so that a test which kills a detector after so many scores kills it with work still
 * to do however fast the machine is. Set on Kafka Streams' main consumer only ({@code
 * main.consumer.interceptor.classes}): restoring state from the changelogs runs at full speed.
 */
public final class ThrottlingConsumerInterceptor<K, V> implements ConsumerInterceptor<K, V> {

  static final int RECORDS_PER_SECOND = 400;

  @Override
  public ConsumerRecords<K, V> onConsume(ConsumerRecords<K, V> records) {
    long millis = records.count() * 1_000L / RECORDS_PER_SECOND;
    if (millis > 0) {
      try {
        Thread.sleep(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return records;
  }

  @Override
  public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {}

  @Override
  public void close() {}

  @Override
  public void configure(Map<String, ?> configs) {}
}
