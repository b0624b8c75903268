package dev.chaperone.streams.state;

import java.util.Map;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

/**
 * RocksDB settings for every store of the process: one block cache and one memtable budget shared
 * by all RocksDB instances, so that off-heap memory stays bounded however many stores, partitions
 * and window segments the instance holds (by default each instance, and each segment of a window
 * store, would get its own 50 MiB cache and 3 × 16 MiB memtables). Index and filter blocks live in
 * the shared cache. Sizes: {@value #BLOCK_CACHE_BYTES} bytes of cache, of which memtables may take
 * {@value #MEMTABLE_BYTES}.
 */
public final class BoundedRocksDbConfig implements RocksDBConfigSetter {

  static final long BLOCK_CACHE_BYTES = 128L * 1024 * 1024;
  static final long MEMTABLE_BYTES = 48L * 1024 * 1024;
  private static final long MEMTABLE_SIZE = 4L * 1024 * 1024;

  // shared by every store of the process, never closed with a store
  private static final Cache CACHE = new LRUCache(BLOCK_CACHE_BYTES, -1, false, 0.1);
  private static final WriteBufferManager WRITE_BUFFERS =
      new WriteBufferManager(MEMTABLE_BYTES, CACHE);

  @Override
  public void setConfig(String storeName, Options options, Map<String, Object> configs) {
    BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
    table.setBlockCache(CACHE);
    table.setCacheIndexAndFilterBlocks(true);
    table.setCacheIndexAndFilterBlocksWithHighPriority(true);
    table.setPinTopLevelIndexAndFilter(true);
    options.setWriteBufferManager(WRITE_BUFFERS);
    options.setWriteBufferSize(MEMTABLE_SIZE);
    options.setMaxWriteBufferNumber(2);
    options.setTableFormatConfig(table);
  }

  @Override
  public void close(String storeName, Options options) {
    // the cache and the write buffer manager are shared: they outlive every store
  }
}
