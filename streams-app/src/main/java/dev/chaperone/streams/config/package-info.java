/** The app's configuration, declared once in Kafka's ConfigDef style, and its default names. */
package dev.chaperone.streams.config;
