/**
 * Schema registries spoken to without the Confluent client: the {@link
 * dev.chaperone.streams.registry.SchemaRegistry} interface, a REST client for the Confluent API v1
 * and an in-process registry for {@code mock://} URLs.
 */
package dev.chaperone.streams.registry;
