/**
 * The event contract as the app enforces it: the JSON form derived from the Avro schemas ({@link
 * dev.chaperone.streams.contract.JsonContractCodec}) and the checks a decoded record must pass
 * before detection sees it ({@link dev.chaperone.streams.contract.ActionContract}).
 */
package dev.chaperone.streams.contract;
