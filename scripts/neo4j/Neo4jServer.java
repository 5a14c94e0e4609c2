// A real Neo4j Community server for development, tests and benchmarks, without a
// distribution tarball: the embedded DatabaseManagementService with its Bolt connector on
// a loopback port. Run in single-file source mode by scripts/neo4j_local.py:
//   java -cp 'target/lib/*' Neo4jServer.java DATA_DIR PORT
// Further settings (usage reporting off, memory) come from DATA_DIR/neo4j.conf.
// It prints "READY <port>" once Bolt answers and shuts down cleanly on SIGTERM.
import java.nio.file.Path;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

public class Neo4jServer {
    public static void main(String[] args) throws Exception {
        Path home = Path.of(args[0]).toAbsolutePath();
        int port = Integer.parseInt(args[1]);
        DatabaseManagementService service = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, false)
                .loadPropertiesFromFile(home.resolve("neo4j.conf"))
                .build();
        Runtime.getRuntime().addShutdownHook(new Thread(service::shutdown));
        service.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME).executeTransactionally("RETURN 1");
        System.out.println("READY " + port);
        System.out.flush();
        Thread.currentThread().join();
    }
}
